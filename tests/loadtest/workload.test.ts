import { describe, expect, test } from 'bun:test';
import { AUDIT_GOAL_ID, generateChallengeConfig } from '../../loadtest/lib/workload.ts';
import { parseChallengeConfig } from '../../src/config/challenge-config.ts';

describe('load-test workloads', () => {
  test.each(['original', 'rotating'] as const)(
    '%s: loads as the service reads it, audit counter included',
    (variant) => {
      const warnings: string[] = [];
      const goals = parseChallengeConfig(generateChallengeConfig({ auditGoal: true, variant }), 'workload', {
        onWarning: (w) => warnings.push(w),
      }).flatMap((challenge) => challenge.goals);
      expect(warnings).toEqual([]);
      expect(goals).toHaveLength(501);
      expect(goals.filter((goal) => goal.defaultAssigned)).toHaveLength(101);
      expect(goals.find((goal) => goal.goalId === AUDIT_GOAL_ID)).toMatchObject({
        type: 'increment',
        daily: false,
      });
    },
  );

  test('rotating: a third of the default goals rotate daily with relative progress, the rest as the original', () => {
    const goals = parseChallengeConfig(generateChallengeConfig({ variant: 'rotating' }), 'workload').flatMap(
      (challenge) => challenge.goals,
    );
    const defaults = goals.filter((goal) => goal.defaultAssigned);
    const rotating = defaults.filter((goal) => goal.rotation !== null);
    expect(rotating).toHaveLength(30);
    for (const goal of rotating) {
      expect(goal).toMatchObject({
        progressMode: 'relative',
        rotation: { schedule: 'daily', resetProgress: true, allowReselection: true },
      });
    }
    expect(goals.filter((goal) => !goal.defaultAssigned && goal.rotation)).toEqual([]);
  });
});
